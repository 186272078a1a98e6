"""The guide site: pages rendered from the labs, outputs captured from real runs.

A guide typed by hand drifts from the lab it teaches and from what the daemons
really print. So every page that shows a command is rendered at build time from
labs/ (the same data `solve` and the checks use), and every output it shows was
captured by `snaplab guides capture`, which runs the very blocks the page shows,
in order, as the book's users, on both daemons. A capture whose commands no
longer match the lab stops the build instead of showing stale output.

blocks: what a page shows; capture: running it for real; site: the pages and the build.
"""
