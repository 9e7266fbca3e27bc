"""The FIX edge: sessions, decoding and encoding. The only package that imports ``quickfix``."""
