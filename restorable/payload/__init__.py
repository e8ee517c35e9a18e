"""Payloads hidden in the least significant bits of a PNG: the exact-effect mode and the learned mode's refinement."""
