"""The real WhatsApp engine: whatsmeow through neonize, in supervised worker processes.

Only this package imports ``neonize`` (ruff TID251 enforces it).
"""
