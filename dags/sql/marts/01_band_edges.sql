-- The bands every mart uses, rewritten on each run so an edit here reaches the next build.
-- Edges cover each column's whole valid range (Attendance 0-100, Hours_Studied 0-168,
-- Tutoring_Sessions >= 0), so no valid row falls outside a band.
DELETE FROM marts.band_edges;

INSERT INTO marts.band_edges (band_set, label, band_order, lower_bound, upper_bound) VALUES
    ('attendance', '0-59', 1, 0, 59),
    ('attendance', '60-69', 2, 60, 69),
    ('attendance', '70-79', 3, 70, 79),
    ('attendance', '80-89', 4, 80, 89),
    ('attendance', '90-100', 5, 90, 100),
    ('tutoring_sessions', '0', 1, 0, 0),
    ('tutoring_sessions', '1', 2, 1, 1),
    ('tutoring_sessions', '2', 3, 2, 2),
    ('tutoring_sessions', '3', 4, 3, 3),
    ('tutoring_sessions', '4+', 5, 4, NULL),
    ('hours_studied', '0-9', 1, 0, 9),
    ('hours_studied', '10-14', 2, 10, 14),
    ('hours_studied', '15-19', 3, 15, 19),
    ('hours_studied', '20-24', 4, 20, 24),
    ('hours_studied', '25-29', 5, 25, 29),
    ('hours_studied', '30+', 6, 30, NULL);
