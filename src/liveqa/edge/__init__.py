"""The GRIP edge proxy: client WebSockets, WebSocket-over-HTTP to the origin, fan-out."""
