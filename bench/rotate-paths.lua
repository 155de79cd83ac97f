-- bench/rotate-paths.lua -- a wrk script that sends GET requests to the
-- paths listed in a file (one per line), in turn, so that a benchmark
-- touches many records rather than one.
-- Arguments (after --): PATHS_FILE
local paths, n, i = {}, 0, 0

function init(args)
  for line in io.lines(args[1]) do
    if line ~= "" then
      n = n + 1
      paths[n] = line
    end
  end
  assert(n > 0, "no paths in " .. args[1])
end

function request()
  i = i % n + 1
  return wrk.format("GET", paths[i])
end
