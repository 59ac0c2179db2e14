"""crmkit-social: Social media for crmkit: Meta lead ads, page messages and comments in, replies and posts out."""
