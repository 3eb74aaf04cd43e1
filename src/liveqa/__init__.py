"""liveqa: a realtime Q&A board on the GRIP pattern."""

__version__ = "0.1.0"
