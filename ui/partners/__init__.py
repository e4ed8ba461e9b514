"""The Partners tab: the partner list (search, category, lapsed) beside one partner's detail (fields,
contacts, outreach log), every edit saved when the user leaves the field."""

from ui.partners.tab import PartnersTab

__all__ = ["PartnersTab"]
