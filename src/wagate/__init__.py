"""wagate: a self-hosted WhatsApp HTTP API gateway, compatible with the Wawp v1 API."""

__version__ = "0.1.0"
