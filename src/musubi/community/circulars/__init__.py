"""電子回覧板: circulars per 区/組, read receipts per household, replies, tallies and reminders."""
