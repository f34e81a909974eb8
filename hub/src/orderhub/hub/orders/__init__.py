"""Orders: intake from every channel, listing, history, cancellation."""
