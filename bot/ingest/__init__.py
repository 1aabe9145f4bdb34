"""Pure ingestion algorithms: fetching, feed parsing, full text, URLs, topics, summaries.

Nothing here touches the database or Telegram: modules take plain values and return plain
values (the fetcher alone does HTTP). :mod:`bot.services` runs them and stores the results.
"""
