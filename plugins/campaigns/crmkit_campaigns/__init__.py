"""crmkit-campaigns: marketing plans, segments, multi-channel campaigns with ROI, after-sales campaigns, events."""
