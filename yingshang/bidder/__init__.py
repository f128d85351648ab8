"""The bidder's own tool (``yingshang-bidder``): pack, seal, submit and verify sealed bids.

Pure Python (no Django, no other ``yingshang`` package except ``yingshang.envelope``), so it runs on
a bidder's machine and the server's tests and benchmarks can use it as a library. See
``docs/bidder-tool.md``.
"""

__version__ = "0.1.0"
TOOL_NAME = "yingshang-bidder"
