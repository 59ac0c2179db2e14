"""Results: member statuses from delivery and tracking, responses into intake, conversions, attribution, costs and ROI."""
