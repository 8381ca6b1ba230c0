"""Engines: the implementations of the WhatsApp protocol behind one contract."""
