"""Cases: complaints, questions, requests and incidents, their lifecycle, notes and replies, trends."""
