"""The reports, generated from results and load figures only: RST helpers,
the compatibility report, the at-a-glance overview, the load section, writing."""
