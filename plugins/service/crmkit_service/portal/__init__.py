"""The self-service portal: sign-in by emailed link, a customer's own cases, public articles, CSAT."""
