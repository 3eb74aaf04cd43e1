"""Behavioural compatibility suite: the same tests against Pushpin 1.36 and `liveqa edge`."""
