"""crmkit-dms: Dealers and partners for crmkit: partner organisations and their users, lead routing with deadlines, ADF and STAR leads, vehicles and service history."""
