"""Marketing plans: quantitative targets per period, product group and geography, against actuals."""
