"""The sandbox: a built-in Slack stand-in and a browser page, to try Warroom without a Slack workspace."""
