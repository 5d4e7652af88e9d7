"""The MSSanté inbox: fetching (IMAP or Maildir), parsing, acknowledgements, team mailboxes."""
