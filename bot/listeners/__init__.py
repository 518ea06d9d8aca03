"""Transport only: parse, ack, call a flow, answer."""
