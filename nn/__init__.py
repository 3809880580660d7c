"""Neural networks on top of autograd_core (see the nn issue)."""
