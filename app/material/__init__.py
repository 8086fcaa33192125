"""Study notes: parsing them into questions and importing them into the bank."""
