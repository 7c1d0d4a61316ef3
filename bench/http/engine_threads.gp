# Engine operations (take-and-give-back pairs) per second against threads,
# one line per benchmark family.
# gnuplot -e "data='engine_threads.dat'; out='engine_threads.png'" engine_threads.gp
set terminal pngcairo size 900,560 font "sans,11" noenhanced
set output out
set title "slotd engine: pairs per second against threads (Google Benchmark)"
set xlabel "threads"
set ylabel "pairs per second (all threads)"
set format y "%.0s%c"
set yrange [0:*]
set xtics 1
set offsets 0.2, 0.2, 0, 0
set key outside right
set grid ytics lc rgb "#dddddd"
stats data skip 1 nooutput
columns = STATS_columns
plot for [i=2:columns] data using 1:i with linespoints lw 2 pt 7 title columnheader(i)
