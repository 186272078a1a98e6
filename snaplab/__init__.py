"""snaplab: teach and verify LXD and Incus container snapshots (chapter 8 of the LXD book)."""

__version__ = "0.1.0"
