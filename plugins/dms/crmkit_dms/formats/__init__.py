"""ADF 1.0 and STAR BOD documents in and out: public routes, e-mail attachments, acknowledgements."""
