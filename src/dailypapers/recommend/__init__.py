"""Personal recommendations ("For you"): what each member told us they like or don't (saves, not
interested, follows, mutes, ratings), the per-member model learned from it, and the scores it gives."""
