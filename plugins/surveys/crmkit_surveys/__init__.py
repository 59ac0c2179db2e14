"""crmkit-surveys: NPS, CSAT and questionnaires over any channel, results, cases from detractors."""
