"""Where points come from: sfa orders, behaviours other plugins announce, referrals; loyalty on the 360 page and in segments."""
