"""The book of record: orders, executions and their durable journal."""
