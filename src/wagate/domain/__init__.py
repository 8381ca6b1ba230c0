"""Domain types: plain frozen dataclasses and enums, no I/O."""
