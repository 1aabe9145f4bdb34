"""Benchmarks for newsbot: ``python -m bench`` (see ``docs/performance.md``).

* ``bench.feeds`` — polling N synthetic feeds served by ``tests.support.feedserver``
  (a separate process), first poll and unchanged re-poll, against a plain-aiohttp fetch baseline.
* ``bench.transport`` — sendMessage throughput against the Bot API emulator (a separate
  process): plain aiohttp, PTB over our ``AiohttpRequest``, PTB over its ``HTTPXRequest``.

Every benchmark is bounded in count and time and talks only to 127.0.0.1. Figures are
reported as ratios against a baseline measured in the same run, because the machine is shared.
"""
