"""What operators watch: Prometheus metrics (`metrics`) and structured log lines (`logs`).

Plain functions every layer may call (like `bot.privacy`): no domain, no channel."""
