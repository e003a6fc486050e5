"""rule points per line kept in the award row

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Each accrual wrote one receipt_line_rule_points row per rule and line (24 for a 6-line
basket under the demo's rules), each with two foreign-key checks, and nothing on the busy
path reads them: they explain a line to a support agent. They become a JSON list of
[line_no, points] pairs in receipt_rule_awards.line_points.
"""
from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

# The award's pairs, in line order, from the rows of the table this revision removes.
COLLECT = {
    "postgresql": """
        UPDATE receipt_rule_awards AS a SET line_points = COALESCE((
            SELECT json_agg(json_build_array(l.line_no, p.points) ORDER BY l.line_no)
            FROM receipt_line_rule_points AS p JOIN receipt_lines AS l ON l.id = p.receipt_line_id
            WHERE p.award_id = a.id), '[]'::json)""",
    "sqlite": """
        UPDATE receipt_rule_awards SET line_points = COALESCE((
            SELECT json_group_array(json_array(line_no, points)) FROM (
                SELECT l.line_no, p.points
                FROM receipt_line_rule_points AS p JOIN receipt_lines AS l ON l.id = p.receipt_line_id
                WHERE p.award_id = receipt_rule_awards.id ORDER BY l.line_no)), '[]')""",
}
# And back: one row per pair, the line found by its number within the award's receipt.
SPREAD = {
    "postgresql": """
        INSERT INTO receipt_line_rule_points (award_id, receipt_line_id, points)
        SELECT a.id, l.id, CAST(pair ->> 1 AS BIGINT)
        FROM receipt_rule_awards AS a CROSS JOIN LATERAL json_array_elements(a.line_points) AS pair
        JOIN receipt_lines AS l ON l.receipt_id = a.receipt_id AND l.line_no = CAST(pair ->> 0 AS INTEGER)""",
    "sqlite": """
        INSERT INTO receipt_line_rule_points (award_id, receipt_line_id, points)
        SELECT a.id, l.id, json_extract(pair.value, '$[1]')
        FROM receipt_rule_awards AS a, json_each(a.line_points) AS pair
        JOIN receipt_lines AS l ON l.receipt_id = a.receipt_id AND l.line_no = json_extract(pair.value, '$[0]')""",
}


def upgrade() -> None:
    with op.batch_alter_table('receipt_rule_awards', schema=None) as batch_op:
        batch_op.add_column(sa.Column('line_points', sa.JSON(), server_default='[]', nullable=False))
    op.execute(COLLECT[op.get_bind().dialect.name])
    with op.batch_alter_table('receipt_line_rule_points', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_receipt_line_rule_points_receipt_line_id'))
    op.drop_table('receipt_line_rule_points')


def downgrade() -> None:
    op.create_table('receipt_line_rule_points',
    sa.Column('award_id', sa.Integer(), nullable=False),
    sa.Column('receipt_line_id', sa.Integer(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.ForeignKeyConstraint(['award_id'], ['receipt_rule_awards.id'],
                            name=op.f('fk_receipt_line_rule_points_award_id_receipt_rule_awards')),
    sa.ForeignKeyConstraint(['receipt_line_id'], ['receipt_lines.id'],
                            name=op.f('fk_receipt_line_rule_points_receipt_line_id_receipt_lines')),
    sa.PrimaryKeyConstraint('award_id', 'receipt_line_id', name=op.f('pk_receipt_line_rule_points'))
    )
    with op.batch_alter_table('receipt_line_rule_points', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_receipt_line_rule_points_receipt_line_id'), ['receipt_line_id'],
                              unique=False)
    op.execute(SPREAD[op.get_bind().dialect.name])
    # Not in batch mode: on SQLite that recreates the table, which the rows just spread
    # refer to. SQLite (3.35 and later) drops a plain column in place.
    op.drop_column('receipt_rule_awards', 'line_points')
