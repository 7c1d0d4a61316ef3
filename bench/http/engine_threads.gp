# Engine operations (take-and-give-back pairs) per second against threads,
# one line per benchmark family (report.py writes the data: a threads column,
# then one column per family).
# gnuplot -e "data='engine_threads.dat'; out='engine_threads.png'" engine_threads.gp
set terminal pngcairo size 900,640 font "sans,11" noenhanced
set output out
set title "slotd engine: take-and-give-back pairs per second against threads (Google Benchmark)"
set xlabel "threads"
set ylabel "pairs per second, all threads together"
set format y "%.1s%c"
set yrange [0:*]
set xtics 1
set autoscale xfix
set offsets 0.3, 0.3, 0, 0
set key below maxrows 4
set grid ytics lc rgb "#dddddd"
columns = int(system("head -1 '" . data . "' | wc -w"))
plot for [i=2:columns] data using 1:i with linespoints lw 2 pt 7 title columnheader(i)
