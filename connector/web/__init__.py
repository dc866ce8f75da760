"""The Flask edge: app factory and blueprints. No business rules live here."""
