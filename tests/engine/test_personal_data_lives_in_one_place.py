"""Members' personal data lives in the profile table only, so erasing it there (and the
member's logins and attributes) leaves none behind: no ledger or other table has a column
for a name, an e-mail, a phone number or a birthday."""
import engine.orm

PERSONAL = {"full_name", "email", "phone", "birthday", "password_hash", "pin_hash"}
WHERE_ALLOWED = {"member_profiles": {"full_name", "email", "phone", "birthday"},
                 "member_logins": {"password_hash", "pin_hash"},
                 "staff_accounts": {"full_name", "password_hash"}}  # staff, not members


def test_personal_columns_exist_only_in_the_profile_login_and_staff_tables():
    found = {table.name: {c.name for c in table.columns} & PERSONAL for table in engine.orm.metadata.sorted_tables}
    assert {name: columns for name, columns in found.items() if columns} == WHERE_ALLOWED
