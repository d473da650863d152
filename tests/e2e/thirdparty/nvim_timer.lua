-- SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
-- neovim's luv (vim.loop, Debian's liblua5.1-luv.so.0 over libuv.so.1): a
-- repeating timer every EVERY ms (default 1) that stops and closes itself
-- after TICKS runs (default 10), then quits. Run as
--   OUT=FILE nvim --headless -u NONE -c 'luafile nvim_timer.lua'
-- It writes to OUT the timer's uv_timer_t address (luv's handle userdata is
-- the uv handle itself) and the ticks it counted, the ground truth for the
-- capture: "uv_timer_t: 0x... ticks N".
local ticks = tonumber(os.getenv("TICKS") or "10")
local every = tonumber(os.getenv("EVERY") or "1")
local out = assert(io.open(assert(os.getenv("OUT")), "w"))
local n = 0
local timer = vim.loop.new_timer()
timer:start(every, every, function()
  n = n + 1
  if n == ticks then
    timer:stop()
    timer:close()
    out:write(tostring(timer), " ticks ", n, "\n")
    out:close()
    vim.schedule(function() vim.cmd("qa!") end)
  end
end)
