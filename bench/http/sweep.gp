# The v2 cycle against connection count, slotd and the floor: requests/s
# above, p99 latency below.
# gnuplot -e "data='sweep.dat'; out='sweep.png'" sweep.gp
set terminal pngcairo size 900,760 font "sans,11" noenhanced
set output out
set multiplot layout 2,1 title "v2 increment/decrement cycle through slotd and a bare cpp-httplib server (wrk -t1, loopback)"
set logscale x 2
set xtics (1, 2, 4, 8, 16, 32, 64, 128, 256)
set xrange [0.8:320]
set grid ytics lc rgb "#dddddd"
set key bottom right

set ylabel "requests per second"
set format y "%.0s%c"
set yrange [0:*]
plot data using 1:2 with linespoints lw 2 pt 7 lc rgb "#1f77b4" title "slotd", \
     data using 1:3 with linespoints lw 2 pt 5 lc rgb "#7f7f7f" title "cpp-httplib floor"

set xlabel "keep-alive connections"
set ylabel "p99 latency (ms)"
set logscale y 10
set format y "%g"
set yrange [*:*]
set key top left opaque box
plot data using 1:($4/1000) with linespoints lw 2 pt 7 lc rgb "#1f77b4" title "slotd", \
     data using 1:($5/1000) with linespoints lw 2 pt 5 lc rgb "#7f7f7f" title "cpp-httplib floor"
unset multiplot
