"""The screens' shared pieces, for the Organization portal and the Admin Console alike: the
list page around the list use-case (lists.py), tabbed detail pages (tabs.py), the template
tags that write form fields and icons, and the base templates (ui/base.html and partials).
Nothing here assumes an organization in the URL: a screen hands in its own surroundings."""
