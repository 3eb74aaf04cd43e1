"""The Q&A origin: REST API, WebSocket-over-HTTP handler, domain rules and GRIP publisher."""
