"""The collaboration board: posts (offers, requests, calls for partners) and the interest
people express in them."""
