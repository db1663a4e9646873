"""Figures and the HTML page of every run; models return data, reports draw it."""
