"""`liveqa bench`: load generation and side-by-side comparison of GRIP proxies."""
