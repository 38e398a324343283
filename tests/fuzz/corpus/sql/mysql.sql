UPDATE `users` SET name = "O\"Brien", score = score + -12.5 WHERE id IN (1,2,3) # trailing
