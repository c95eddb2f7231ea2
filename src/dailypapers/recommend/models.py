"""A member's signals and what the model learned from them."""
