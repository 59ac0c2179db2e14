"""crmkit-erp-sap: SAP S/4HANA connector for crmkit: business partners in over OData V2, sales orders out in $batch, IDoc XML files, restartable at any point."""
