"""Shared kernel: ids, enums, commands, events and the order state machine. No I/O."""
