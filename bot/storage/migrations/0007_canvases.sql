-- Canvases: a note's lane (NULL: unsorted, or no canvas) and column (a phase, a persona).
ALTER TABLE notes ADD COLUMN lane TEXT;
ALTER TABLE notes ADD COLUMN lane_column TEXT;
